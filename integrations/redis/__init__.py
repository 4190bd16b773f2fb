"""Launch scripts for a local Redis server and a local three-master Redis Cluster.

Used by the test fixtures, the benchmarks and the examples: ``from integrations.redis.servers
import RedisServer, RedisCluster``, or ``python -m integrations.redis.servers standalone|cluster``.
"""
