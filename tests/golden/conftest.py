"""The case folders hold generated projects, some with tests of their own: they are data here, not tests to run."""

collect_ignore_glob = ["*-*"]
