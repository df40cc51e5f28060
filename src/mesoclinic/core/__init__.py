"""Pure-Python clinical core: no Django import anywhere below this package."""
