// TLS and SASL settings for sarama from flags, and a SCRAM client (RFC 5802) over Go's
// standard library (Debian 12's Go has no x/crypto; PBKDF2 is written out over HMAC).
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"flag"
	"fmt"
	"hash"
	"io/ioutil"
	"strconv"
	"strings"

	"github.com/Shopify/sarama"
)

var (
	securityProtocol = flag.String("security-protocol", "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
	saslMechanism    = flag.String("sasl-mechanism", "PLAIN", "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
	saslUser         = flag.String("sasl-user", "", "SASL user")
	saslPassword     = flag.String("sasl-password", "", "SASL password")
	caFile           = flag.String("ca", "", "PEM CA certificates")
	certFile         = flag.String("cert", "", "client certificate (mTLS)")
	keyFile          = flag.String("key", "", "client key (mTLS)")
)

func applySecurity(config *sarama.Config) error {
	proto := strings.ToUpper(*securityProtocol)
	if proto == "SSL" || proto == "SASL_SSL" {
		tlsConfig := &tls.Config{}
		if *caFile != "" {
			pem, err := ioutil.ReadFile(*caFile)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("no certificate in %s", *caFile)
			}
			tlsConfig.RootCAs = pool
		}
		if *certFile != "" {
			pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				return err
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		}
		config.Net.TLS.Enable = true
		config.Net.TLS.Config = tlsConfig
	}
	if proto == "SASL_PLAINTEXT" || proto == "SASL_SSL" {
		config.Net.SASL.Enable = true
		config.Net.SASL.Handshake = true
		config.Net.SASL.User = *saslUser
		config.Net.SASL.Password = *saslPassword
		config.Net.SASL.Mechanism = sarama.SASLMechanism(*saslMechanism)
		switch *saslMechanism {
		case sarama.SASLTypeSCRAMSHA256:
			config.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: sha256.New} }
		case sarama.SASLTypeSCRAMSHA512:
			config.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: sha512.New} }
		}
	}
	return nil
}

// scramClient implements sarama.SCRAMClient.
type scramClient struct {
	hash                          func() hash.Hash
	user, password, nonce, bare   string
	step                          int
	expectedServerSignature       []byte
}

func (c *scramClient) Begin(user, password, authzID string) error {
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	c.user, c.password, c.nonce = user, password, base64.StdEncoding.EncodeToString(raw)
	return nil
}

func (c *scramClient) mac(key, message []byte) []byte {
	m := hmac.New(c.hash, key)
	m.Write(message)
	return m.Sum(nil)
}

func (c *scramClient) pbkdf2(salt []byte, iterations int) []byte {
	u := c.mac([]byte(c.password), append(append([]byte{}, salt...), 0, 0, 0, 1))
	result := append([]byte{}, u...)
	for i := 1; i < iterations; i++ {
		u = c.mac([]byte(c.password), u)
		for j := range result {
			result[j] ^= u[j]
		}
	}
	return result
}

func (c *scramClient) Step(challenge string) (string, error) {
	c.step++
	switch c.step {
	case 1:
		name := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(c.user)
		c.bare = "n=" + name + ",r=" + c.nonce
		return "n,," + c.bare, nil
	case 2:
		var nonce, salt string
		iterations := 0
		for _, attribute := range strings.Split(challenge, ",") {
			switch {
			case strings.HasPrefix(attribute, "r="):
				nonce = attribute[2:]
			case strings.HasPrefix(attribute, "s="):
				salt = attribute[2:]
			case strings.HasPrefix(attribute, "i="):
				iterations, _ = strconv.Atoi(attribute[2:])
			}
		}
		saltBytes, err := base64.StdEncoding.DecodeString(salt)
		if err != nil || !strings.HasPrefix(nonce, c.nonce) || iterations < 1 {
			return "", fmt.Errorf("bad server-first message %q", challenge)
		}
		salted := c.pbkdf2(saltBytes, iterations)
		clientKey := c.mac(salted, []byte("Client Key"))
		h := c.hash()
		h.Write(clientKey)
		storedKey := h.Sum(nil)
		withoutProof := "c=biws,r=" + nonce
		authMessage := []byte(c.bare + "," + challenge + "," + withoutProof)
		signature := c.mac(storedKey, authMessage)
		proof := make([]byte, len(clientKey))
		for i := range proof {
			proof[i] = clientKey[i] ^ signature[i]
		}
		c.expectedServerSignature = c.mac(c.mac(salted, []byte("Server Key")), authMessage)
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
	default:
		if challenge != "v="+base64.StdEncoding.EncodeToString(c.expectedServerSignature) {
			return "", fmt.Errorf("the server's SCRAM signature is wrong")
		}
		return "", nil
	}
}

func (c *scramClient) Done() bool { return c.step >= 3 }
