// The SluiceStorage module; see README.md in this folder.
