"""Message maps: the office's approved key messages, the composer that builds every message
from them, and the store that versions them."""
