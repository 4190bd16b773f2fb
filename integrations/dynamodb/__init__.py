"""Launch script for a local DynamoDB-compatible server (moto's server mode) on 127.0.0.1.

Used by the test fixtures, the benchmarks and the examples: ``from integrations.dynamodb.server
import DynamoDBServer``, or ``python -m integrations.dynamodb.server``.
"""
