"""The local Google Cloud stack (emulators) for development, tests and the offline demo."""
