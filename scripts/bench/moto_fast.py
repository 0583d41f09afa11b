"""moto server for benchmarks: the same server, with one emulator hot spot removed.

moto looks up an EC2 resource's tags by scanning the tags of *every* resource
(TaggedEC2Resource.get_tags -> describe_tags with a regex per resource), so one
DescribeVolumes over N tagged volumes costs O(N^2) inside the emulator: 5 s for 2,000
volumes, minutes for 10,000. That would measure moto, not the clients. This wrapper
answers get_tags from the tag dictionary directly (same result), then runs moto.server.
"""
import datetime
import os
import sys

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.elastic_block_store import Volume
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix


def get_tags(self):
    rid = getattr(self, "id", None)
    if not rid:
        return []
    rtype = EC2_PREFIX_TO_RESOURCE.get(get_prefix(rid), "")
    tags = self.ec2_backend.tags.get(rid) or {}
    return [{"resource_id": rid, "key": k, "value": v, "resource_type": rtype} for k, v in list(tags.items())]


TaggedEC2Resource.get_tags = get_tags

# Volume ages: libfaketime (how the test suite moves moto's clock) costs ~60 ms per call
# here, which would make seeding 50k volumes take an hour. Instead, a volume created
# while BENCH_AGE_FILE holds "N" (days) gets a CreateTime N days in the past.
_age_file = os.environ.get("BENCH_AGE_FILE")
if _age_file:
    _init = Volume.__init__

    def _aged_init(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        try:
            with open(_age_file) as f:
                days = float(f.read().strip() or 0)
        except OSError:
            days = 0
        self.create_time = self.create_time - datetime.timedelta(days=days)

    Volume.__init__ = _aged_init

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
