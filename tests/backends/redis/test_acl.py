"""The acl.conf user on a Redis Cluster (the whole shared suite runs as it on standalone Redis:
backend ``redis-acl``): the cluster-only commands it needs are granted, nothing is refused."""

from __future__ import annotations

import secrets

from integrations.redis.acl import acl_rules
from integrations.redis.servers import RedisCluster
from sessions_plus import RedisStore
from tests.fixtures.stores.redis import unique_prefix
from tests.fixtures.stores.redis_acl import acl_refusals_on


async def test_the_acl_user_on_a_cluster(redis_cluster: RedisCluster) -> None:
    prefix = unique_prefix()
    user, password = f"app-{prefix}", secrets.token_hex(8)
    for port in redis_cluster.ports:
        redis_cluster.command(port, "ACL", "SETUSER", user, *acl_rules(prefix, password))
    url = f"redis+cluster://{user}:{password}@127.0.0.1:{redis_cluster.port}"
    try:
        async with RedisStore.from_url(url, key_prefix=prefix, ttl=60) as store:
            for n in range(5):
                await store.append(f"s{n}", [n, n + 1])
                await store.put_doc(f"s{n}", "d", n)
            assert await store.read_data("s1", limit=1) == [2]
            assert await store.get_doc("s2", "d") == 2
            await store.fork("s1", "copy")
            await store.trim("copy", keep_last=1)
            listed = [i.session_id for i in (await store.list_sessions(prefix="s")).sessions]
            assert listed == [f"s{n}" for n in range(5)]
            assert await store.delete("s4") is True
            assert await store.purge_expired() == 0
        refused = [line for port in redis_cluster.ports for line in acl_refusals_on(port, user)]
        assert refused == []
    finally:
        for port in redis_cluster.ports:
            redis_cluster.command(port, "ACL", "DELUSER", user)
