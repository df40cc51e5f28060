"""FHIR R4 for Mesoclinic, validated with fhir.resources' R4B models (R4B is R4 for every
resource exported here; see docs/fhir.md)."""
