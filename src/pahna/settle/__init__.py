"""Settlement: usage in, statements out. Pure: no I/O, no engines, no web."""
