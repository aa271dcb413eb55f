"""Tests for assess.diff."""
