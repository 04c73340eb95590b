// The SluiceRaft module; see README.md in this folder.
