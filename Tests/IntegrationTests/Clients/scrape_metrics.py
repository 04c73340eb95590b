"""Scrapes a Sluice broker's /metrics with prometheus_client's own parsers and prints JSON.

usage: scrape_metrics.py URL [openmetrics]
Prints {"content_type": ..., "families": [names], "samples": {"name{k=v,...}": value}}; the
families are parsed by prometheus_client.parser (Prometheus text) or
prometheus_client.openmetrics.parser (OpenMetrics), so a malformed exposition fails here.
"""
import json
import sys
import urllib.request

url = sys.argv[1]
openmetrics = len(sys.argv) > 2 and sys.argv[2] == "openmetrics"
request = urllib.request.Request(url)
if openmetrics:
    request.add_header("Accept", "application/openmetrics-text; version=1.0.0")
with urllib.request.urlopen(request, timeout=20) as response:
    content_type = response.headers.get("Content-Type", "")
    text = response.read().decode("utf-8")

if openmetrics:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families

families = []
samples = {}
for family in text_string_to_metric_families(text):
    families.append(family.name)
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}"] = sample.value
print(json.dumps({"content_type": content_type, "families": families, "samples": samples}))
