"""A local Redis server and three-master Redis Cluster, and the least-privilege ACL user.

Used by the test fixtures, the benchmarks and the examples: ``from integrations.redis.servers
import RedisServer, RedisCluster``, or ``python -m integrations.redis.servers standalone|cluster``.
``acl.conf`` documents the ACL user sessions-plus needs (its key prefix, the exact commands);
``python -m integrations.redis.acl --prefix P`` prints it as an ``ACL SETUSER`` command.
"""
