"""Packaging checks: the built distributions, their metadata and bounds, the entry point,
the JSON Schemas of the contract, and the cost of importing the plugin."""
