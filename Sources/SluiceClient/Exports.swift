// SluiceClient is a library product whose public API is written in SluiceBase's values
// (`ClientConfiguration.bootstrapServers: [BrokerAddress]`, `position(_: TopicPartition)`), so
// an application's `import SluiceClient` brings them along, as it did when the client defined
// them itself. Files inside this package still import SluiceBase explicitly where they use it.
@_exported import SluiceBase
