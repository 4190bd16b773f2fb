"""Reliability and security suite: contention, faults, hostile input, corruption, encryption."""
