"""Test support code shared by the test suite."""
