#!/bin/bash
# print router RSS, fds, threads, delivered
P=$(cat /tmp/rev-hostile/router.pid)
if ! kill -0 $P 2>/dev/null; then echo "ROUTER DEAD"; exit 1; fi
rss=$(grep VmRSS /proc/$P/status | awk '{print $2}')
fds=$(ls /proc/$P/fd | wc -l)
thr=$(grep Threads /proc/$P/status | awk '{print $2}')
m=$(curl -s -m 5 localhost:17090/metrics | grep -E '^tunnel_router_uplinks_total' | grep -v ' 0$' | tr '\n' ' ')
echo "rss=${rss}kB fds=$fds thr=$thr $m"
