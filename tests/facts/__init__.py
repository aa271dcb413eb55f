"""Tests for assess.facts."""
