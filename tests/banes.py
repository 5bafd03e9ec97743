"""B&NES facts the B&NES tests check against, written here (not taken from the package) so a
test fails if the package's settings or store drift from them."""

LA_CODE = "E06000022"
#: The five forum areas of geo/E06000022.yaml's first scheme, in display order.
AREAS = ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")
#: How pages name all of B&NES beside its areas.
ALL_BANES = "All B&NES"
