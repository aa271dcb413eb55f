"""Tests for assess.engine."""
