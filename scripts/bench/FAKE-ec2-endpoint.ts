// FAKE: an in-memory EC2 query endpoint for the bench's executor rows only. moto (one Python
// process) answers about 15–25 calls/s on a loaded machine whatever the concurrency, so an
// apply through it cannot show whether opsctl's executor runs calls in parallel. This answers
// just what an apply of cleanup-volumes sends — DescribeVolumes (status, tag:K and volume-id
// filters, MaxResults/NextToken paging), DeleteVolume with and without DryRun — at once, after
// an optional fixed delay, so the wall time is the client's own. Never used by the test suite.

interface FakeVolume {
  id: string;
  tags: Record<string, string>;
  status: string;
  xml: string;
}

const NS = "http://ec2.amazonaws.com/doc/2016-11-15";

function volumeXml(id: string, tags: Record<string, string>, createTime: string): string {
  const tagSet = Object.entries(tags)
    .map(([k, v]) => `<item><key>${k}</key><value>${v}</value></item>`)
    .join("");
  return `<item><iops>3000</iops><tagSet>${tagSet}</tagSet><volumeType>gp3</volumeType><volumeId>${id}</volumeId><size>8</size><availabilityZone>us-east-1a</availabilityZone><status>available</status><createTime>${createTime}</createTime><attachmentSet/><encrypted>false</encrypted></item>`;
}

/** n available volumes tagged Environment=staging, ageDays old; every call answered after delayMs. */
export function startFakeEc2(n: number, ageDays: number, delayMs: number): { url: string; left: () => number; stop: () => void } {
  const createTime = new Date(Date.now() - ageDays * 86_400_000).toISOString();
  const volumes = new Map<string, FakeVolume>();
  for (let i = 0; i < n; i++) {
    const id = `vol-${(0x10000000 + i).toString(16)}fa4e0000`;
    const tags = { Environment: "staging", team: "data" };
    volumes.set(id, { id, tags, status: "available", xml: volumeXml(id, tags, createTime) });
  }
  const xml = (body: string, status = 200) =>
    new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { status, headers: { "content-type": "text/xml" } });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const p = new URLSearchParams(await req.text());
      if (delayMs) await Bun.sleep(delayMs);
      const action = p.get("Action");
      if (action === "DeleteVolume") {
        const id = p.get("VolumeId") ?? "";
        const error = (code: string, status: number) =>
          xml(`<Response><Errors><Error><Code>${code}</Code><Message>${code}</Message></Error></Errors><RequestID>fake</RequestID></Response>`, status);
        if (!volumes.has(id)) return error("InvalidVolume.NotFound", 400);
        if (p.get("DryRun") === "true") return error("DryRunOperation", 412);
        volumes.delete(id);
        return xml(`<DeleteVolumeResponse xmlns="${NS}"><requestId>fake</requestId><return>true</return></DeleteVolumeResponse>`);
      }
      if (action !== "DescribeVolumes") return xml(`<Response><Errors><Error><Code>InvalidAction</Code></Error></Errors></Response>`, 400);
      const filters: [string, string[]][] = [];
      for (let i = 1; p.has(`Filter.${i}.Name`); i++) {
        const values: string[] = [];
        for (let j = 1; p.has(`Filter.${i}.Value.${j}`); j++) values.push(p.get(`Filter.${i}.Value.${j}`) as string);
        filters.push([p.get(`Filter.${i}.Name`) as string, values]);
      }
      const match = [...volumes.values()].filter((v) =>
        filters.every(([name, values]) =>
          name === "status"
            ? values.includes(v.status)
            : name === "volume-id"
              ? values.includes(v.id)
              : name.startsWith("tag:")
                ? values.includes(v.tags[name.slice(4)] ?? "\0")
                : true,
        ),
      );
      const max = Number(p.get("MaxResults") ?? 1e9);
      const start = Number(p.get("NextToken") ?? 0);
      const next = start + max < match.length ? `<nextToken>${start + max}</nextToken>` : "";
      return xml(
        `<DescribeVolumesResponse xmlns="${NS}"><volumeSet>${match
          .slice(start, start + max)
          .map((v) => v.xml)
          .join("")}</volumeSet>${next}<requestId>fake</requestId></DescribeVolumesResponse>`,
      );
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, left: () => volumes.size, stop: () => server.stop(true) };
}
