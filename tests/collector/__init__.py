"""Tests for assess.collector."""
