"""bags.heap: with glibc's thresholds set, a block's buffers of a few MB, dropped and made again
block after block (replay's pattern), reuse their pages instead of faulting fresh ones in."""

import json
import subprocess
import sys

import pytest

CHURN = """
import json, resource, sys
import numpy as np
from sprint_fusion.bags.heap import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "kept" else None

def block(k):  # a block's buffers, ~3 MB each: written whole, then all dropped
    buffers = [np.full(3 << 20, k, np.uint8) for _ in range(12)]
    del buffers

block(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for k in range(1, 21):
    block(k)
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def churn(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_the_next_blocks_buffers_reuse_the_pages_of_the_last():
    default, kept = churn("default"), churn("kept")
    assert kept["kept"] is True
    assert default["faults"] > 10 * max(kept["faults"], 100)  # glibc gave the 36 MB back each time


def test_the_paused_collector_collects_every_few_blocks_and_gives_the_collector_back():
    import gc
    import weakref

    from sprint_fusion.bags.heap import PausedCollector

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    assert gc.isenabled()
    with PausedCollector(every=3) as pause:
        assert not gc.isenabled()
        ref = cycle()
        pause.tick()
        pause.tick()
        assert ref() is not None  # paused: the cycle is still there after two blocks
        pause.tick()
        assert ref() is None  # the third block's full collection took it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), PausedCollector():
        raise RuntimeError("a replay failing midway")
    assert gc.isenabled()
