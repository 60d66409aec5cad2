"""The catalogue: what it lists and how (pages), how it searches (search), how a
page looks (rendering) and the exact cache of rendered pages (cache)."""
