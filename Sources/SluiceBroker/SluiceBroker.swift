// The SluiceBroker module; see README.md in this folder.
