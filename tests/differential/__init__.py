"""The differential suite: one list of facts about Dapr's HTTP API (facts.py), answered by real daprd (recorded in
daprd-1.18.3.json by tests/runtime/test_differential_recording.py), the stand-in and the generated fake."""
