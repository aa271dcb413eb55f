"""Tests for assess.sources."""
