// The SluiceClient module; see README.md in this folder.
