"""Tests for assess.cli."""
