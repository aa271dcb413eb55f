"""Tests for assess.render."""
