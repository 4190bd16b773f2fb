"""Store backends: one module per backend, each registering its URL scheme."""
