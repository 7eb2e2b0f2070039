-- wrk script of the benchmark harness: prints one machine-readable summary line at the end.
-- Headers (token, session cookie) are passed with wrk's -H; this script only reports.
-- Latencies are in microseconds. status_errors counts responses with a status above 399.
-- "q" is the latency distribution as [percentile, value] pairs: the harness merges the
-- distributions of several runs (slices) with it.

local grid = {}
for p = 1, 98 do grid[#grid + 1] = p end
for _, p in ipairs({ 98.5, 99, 99.25, 99.5, 99.75, 99.9, 100 }) do grid[#grid + 1] = p end

done = function(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for _, p in ipairs(grid) do
    q[#q + 1] = string.format("[%g,%d]", p, latency:percentile(p))
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,'
      .. '"status":%d,"timeout":%d},"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,'
      .. '"p99":%d,"max":%d},"q":[%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(q, ",")))
end
