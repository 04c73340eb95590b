// The SluiceConsole module; see README.md in this folder.
