"""Tests for assess.scan."""
