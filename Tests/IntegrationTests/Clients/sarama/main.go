// The interop scenarios of ../scenarios.py driven through sarama (Go), built offline from
// Debian's golang-github-shopify-sarama-dev with GOPATH=/usr/share/gocode GO111MODULE=off.
// Prints the same JSON lines as the Python scripts.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

func emit(fields map[string]interface{}) {
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func message(i, size int, baseTs int64) (string, []byte, []sarama.RecordHeader, time.Time) {
	seed := fmt.Sprintf("v%d-", i)
	value := []byte(strings.Repeat(seed, size/len(seed)+1)[:size])
	headers := []sarama.RecordHeader{{Key: []byte("h"), Value: []byte(fmt.Sprint(i))}, {Key: []byte("origin"), Value: []byte("sluice-test")}}
	return fmt.Sprintf("k%d", i), value, headers, time.UnixMilli(baseTs + int64(i))
}

func main() {
	bootstrap := flag.String("bootstrap", "", "host:port")
	topic := flag.String("topic", "", "topic")
	codec := flag.String("codec", "none", "none, gzip, snappy, lz4, zstd")
	count := flag.Int("count", 10, "messages")
	size := flag.Int("size", 100, "value size")
	baseTs := flag.Int64("ts", time.Now().UnixMilli()-60000, "first timestamp (ms)")
	flag.Parse()
	scenario := flag.Arg(0)

	config := sarama.NewConfig()
	config.Version = sarama.V2_2_0_0 // the newest this sarama (Debian 12: 1.22) knows
	config.ClientID = "sluice-sarama"
	config.Producer.Return.Successes = true
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Idempotent = true
	config.Net.MaxOpenRequests = 1
	config.Producer.MaxMessageBytes = 2000000
	config.Producer.Partitioner = sarama.NewManualPartitioner
	config.Consumer.Fetch.Default = 4000000
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
		"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}
	chosen, ok := codecs[*codec]
	if !ok {
		fail(fmt.Errorf("unknown codec %q", *codec))
	}
	config.Producer.Compression = chosen
	if err := applySecurity(config); err != nil {
		fail(err)
	}
	client, err := sarama.NewClient([]string{*bootstrap}, config)
	if err != nil {
		fail(err)
	}
	defer client.Close()

	switch scenario {
	case "roundtrip":
		producer, err := sarama.NewSyncProducerFromClient(client)
		if err != nil {
			fail(err)
		}
		var batch []*sarama.ProducerMessage
		var crcs []uint32
		for i := 0; i < *count; i++ {
			key, value, headers, ts := message(i, *size, *baseTs)
			crcs = append(crcs, crc32.ChecksumIEEE(value))
			batch = append(batch, &sarama.ProducerMessage{Topic: *topic, Partition: 0, Key: sarama.StringEncoder(key),
				Value: sarama.ByteEncoder(value), Headers: headers, Timestamp: ts})
		}
		if err := producer.SendMessages(batch); err != nil {
			fail(err)
		}
		offsets := []int64{}
		for _, m := range batch {
			offsets = append(offsets, m.Offset)
		}
		emit(map[string]interface{}{"event": "produced", "offsets": offsets})
		emit(map[string]interface{}{"event": "expected", "crcs": crcs})
		consumer, err := sarama.NewConsumerFromClient(client)
		if err != nil {
			fail(err)
		}
		pc, err := consumer.ConsumePartition(*topic, 0, offsets[0])
		if err != nil {
			fail(err)
		}
		consumed := 0
		deadline := time.After(30 * time.Second)
		for consumed < *count {
			select {
			case m := <-pc.Messages():
				headers := [][]string{}
				for _, h := range m.Headers {
					headers = append(headers, []string{string(h.Key), string(h.Value)})
				}
				emit(map[string]interface{}{"event": "record", "offset": m.Offset, "key": string(m.Key), "length": len(m.Value),
					"crc": crc32.ChecksumIEEE(m.Value), "headers": headers, "ts": m.Timestamp.UnixMilli()})
				consumed++
			case err := <-pc.Errors():
				fail(err)
			case <-deadline:
				fail(fmt.Errorf("consumed %d of %d", consumed, *count))
			}
		}
		pc.Close()
		emit(map[string]interface{}{"event": "done", "consumed": consumed})
	case "times":
		producer, err := sarama.NewSyncProducerFromClient(client)
		if err != nil {
			fail(err)
		}
		var batch []*sarama.ProducerMessage
		for i := 0; i < 10; i++ {
			batch = append(batch, &sarama.ProducerMessage{Topic: *topic, Partition: 0, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)),
				Value: sarama.StringEncoder("payload"), Timestamp: time.UnixMilli(*baseTs + int64(i)*1000)})
		}
		if err := producer.SendMessages(batch); err != nil {
			fail(err)
		}
		found, err := client.GetOffset(*topic, 0, *baseTs+4500)
		if err != nil {
			fail(err)
		}
		beyond, err := client.GetOffset(*topic, 0, *baseTs+100000)
		if err != nil {
			fail(err)
		}
		emit(map[string]interface{}{"event": "offset_for_time", "offset": found, "beyond": beyond})
	case "admin":
		admin, err := sarama.NewClusterAdmin([]string{*bootstrap}, config)
		if err != nil {
			fail(err)
		}
		retention := "3600000"
		if err := admin.CreateTopic(*topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
			ConfigEntries: map[string]*string{"retention.ms": &retention}}, false); err != nil {
			fail(err)
		}
		topics, _ := admin.ListTopics()
		_, present := topics[*topic]
		emit(map[string]interface{}{"event": "created", "present": present})
		err = admin.CreateTopic(*topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false)
		emit(map[string]interface{}{"event": "duplicate", "error": fmt.Sprint(err)})
		err = admin.CreateTopic(*topic+"-rf", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 3}, false)
		emit(map[string]interface{}{"event": "bad_replication", "error": fmt.Sprint(err)})
		if err := admin.CreatePartitions(*topic, 5, nil, false); err != nil {
			fail(err)
		}
		described, err := admin.DescribeTopics([]string{*topic})
		if err != nil {
			fail(err)
		}
		emit(map[string]interface{}{"event": "partitions", "count": len(described[0].Partitions)})
		defer admin.Close()
		if err := admin.DeleteTopic(*topic); err != nil {
			fail(err)
		}
		topics, _ = admin.ListTopics()
		_, present = topics[*topic]
		emit(map[string]interface{}{"event": "deleted", "present": present})
	default:
		fail(fmt.Errorf("unknown scenario %q", scenario))
	}
}
