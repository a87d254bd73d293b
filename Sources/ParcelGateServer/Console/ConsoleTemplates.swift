/// The console's Mustache templates, compiled into the binary as string literals (README, "Console").
///
/// Every value is written with `{{name}}`, which HTML-escapes it. The only unescaped tag is `{{{svg}}}`, for
/// charts that ``SVGChart`` draws from numbers and escapes itself; no template puts user data in a triple
/// mustache. Each page opens with the `header` partial and closes with the `footer` partial.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "header": header, "footer": footer, "login": login, "error": error, "overview": overview,
        "fulfillments": fulfillments, "fulfillment": fulfillment, "queue": queue, "retry": retry,
        "endpoints": endpoints, "endpoint": endpoint, "delivery": delivery, "tenants": tenants,
    ]

    static let header = #"""
{{#layout}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · ParcelGate console</title>
<link rel="stylesheet" href="/console/style.css">
<script src="/console/app.js" defer></script>
</head>
<body>
<a class="visually-hidden" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console">ParcelGate console</a>
{{#signedIn}}
<nav aria-label="Console sections"><ul>{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/nav}}</ul></nav>
<div class="who">
<span>Signed in as <strong>{{viewer}}</strong></span>
{{#refresh}}<label class="live" hidden><input type="checkbox" id="live-refresh"> Live refresh</label>{{/refresh}}
<form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><button type="submit">Sign out</button></form>
</div>
{{/signedIn}}
</header>
<main id="main"{{#refresh}} data-refresh="15"{{/refresh}}>
<h1>{{title}}</h1>
{{#tenantFilter}}
<form method="get" action="{{action}}" class="filter">
{{#hidden}}<input type="hidden" name="{{name}}" value="{{value}}">{{/hidden}}
<div><label for="tenant-filter">Tenant</label>
<select id="tenant-filter" name="tenant"><option value="">All tenants</option>{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/options}}</select></div>
<button type="submit" class="secondary">Show</button>
</form>
{{/tenantFilter}}
{{#notice}}<p class="notice" role="status">{{.}}</p>{{/notice}}
{{#error}}<p class="notice error" role="alert">{{.}}</p>{{/error}}
{{/layout}}
"""#

    static let footer = #"""
</main>
</body>
</html>
"""#

    static let login = #"""
{{> header}}
<section class="login card">
<form method="post" action="/console/login">
<input type="hidden" name="csrf_token" value="{{csrfToken}}">
<p>Sign in with a tenant API key to see that tenant, or with the operator key to see every tenant.</p>
<p><label for="key">API key or operator key</label>
<input type="password" id="key" name="key" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Sign in</button></p>
</form>
</section>
{{> footer}}
"""#

    static let error = #"""
{{> header}}
<p>{{message}}</p>
<p><a href="{{back}}">{{backLabel}}</a></p>
{{> footer}}
"""#

    static let overview = #"""
{{> header}}
<p class="muted">{{scope}} · as of {{now}}</p>
<section class="card">
<h2>Callbacks per minute, last hour</h2>
{{#callbacks}}
{{{svg}}}
<ul class="legend">{{#legend}}<li><svg viewBox="0 0 10 10" aria-hidden="true"><rect class="{{cssClass}}" width="10" height="10"/></svg>{{label}}: {{total}}</li>{{/legend}}</ul>
{{/callbacks}}
{{^callbacks}}<p class="muted">{{callbacksNote}}</p>{{/callbacks}}
</section>
<div class="grid">
<section class="card">
<h2>Fulfillments by status</h2>
{{{fulfillmentsSVG}}}
<p class="muted">{{fulfillmentsTotal}} fulfillments in all. <a href="{{fulfillmentsHref}}">Search fulfillments</a></p>
</section>
<section class="card">
<h2>Exceptions by carrier</h2>
{{#hasExceptions}}{{{exceptionsSVG}}}{{/hasExceptions}}
{{^hasExceptions}}<p class="muted">No fulfillment is in exception.</p>{{/hasExceptions}}
</section>
<section class="card">
<h2>Inbound queue</h2>
<dl class="figures">{{#queue}}<div><dt>{{label}}</dt><dd>{{#href}}<a href="{{href}}">{{value}}</a>{{/href}}{{^href}}{{value}}{{/href}}</dd></div>{{/queue}}</dl>
</section>
<section class="card">
<h2>Outbound deliveries</h2>
<dl class="figures">{{#deliveries}}<div><dt>{{label}}</dt><dd>{{value}}</dd></div>{{/deliveries}}</dl>
<h2>Endpoints</h2>
<dl class="figures">{{#endpoints}}<div><dt>{{label}}</dt><dd>{{#href}}<a href="{{href}}">{{value}}</a>{{/href}}{{^href}}{{value}}{{/href}}</dd></div>{{/endpoints}}</dl>
</section>
</div>
{{> footer}}
"""#

    static let fulfillments = #"""
{{> header}}
<form method="get" action="/console/fulfillments" class="search" role="search">
{{#tenantValue}}<input type="hidden" name="tenant" value="{{.}}">{{/tenantValue}}
<div><label for="q">Tracking number or order id</label>
<input type="search" id="q" name="q" value="{{query}}" maxlength="200"></div>
<button type="submit">Search</button>
</form>
{{#searched}}<p class="muted">{{count}} result(s) for “{{query}}”.</p>{{/searched}}
{{#hasRows}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Fulfillment</th>{{#showTenant}}<th scope="col">Tenant</th>{{/showTenant}}<th scope="col">Order</th><th scope="col">Status</th><th scope="col">Carrier</th><th scope="col">Tracking number</th><th scope="col">Updated</th></tr></thead>
<tbody>
{{#rows}}<tr><td><a href="{{href}}" class="mono">{{id}}</a></td>{{#showTenant}}<td>{{tenant}}</td>{{/showTenant}}<td class="mono">{{orderId}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td><td>{{carrier}}</td><td class="mono">{{trackingNumber}}</td><td>{{updatedAt}}</td></tr>
{{/rows}}
</tbody></table></div>
{{/hasRows}}
{{^hasRows}}<p>No fulfillment found.</p>{{/hasRows}}
{{#nextHref}}<p class="pager"><a href="{{.}}">Next page</a></p>{{/nextHref}}
{{> footer}}
"""#

    static let fulfillment = #"""
{{> header}}
<dl class="figures card">
<div><dt>Status</dt><dd><span class="badge {{statusClass}}">{{status}}</span></dd></div>
<div><dt>Tenant</dt><dd>{{tenant}}</dd></div>
<div><dt>Order</dt><dd class="mono">{{orderId}}</dd></div>
<div><dt>Carrier</dt><dd>{{carrier}}</dd></div>
<div><dt>Tracking number</dt><dd class="mono">{{trackingNumber}}</dd></div>
<div><dt>Service level</dt><dd>{{serviceLevel}}</dd></div>
<div><dt>Delivered</dt><dd>{{actualDelivery}}</dd></div>
</dl>
<h2>Timeline</h2>
{{#hasEvents}}
<div class="table-wrap"><table id="timeline">
<thead><tr><th scope="col">Time</th><th scope="col">Status</th><th scope="col">Place</th><th scope="col">Carrier code</th><th scope="col">Description</th><th scope="col">Result</th></tr></thead>
<tbody>
{{#events}}<tr><td>{{occurredAt}}</td><td>{{status}}</td><td>{{place}}</td><td class="mono">{{code}}</td><td>{{description}}</td><td><span class="badge {{outcomeClass}}">{{outcome}}</span> {{fulfillmentStatus}}</td></tr>
{{/events}}
</tbody></table></div>
{{/hasEvents}}
{{^hasEvents}}<p>No tracking event yet.</p>{{/hasEvents}}
<h2>Notifications sent</h2>
{{#hasNotifications}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Created</th></tr></thead>
<tbody>
{{#notifications}}<tr><td><a href="{{href}}" class="mono">{{id}}</a></td><td>{{eventType}}</td><td><a href="{{endpointHref}}" class="mono">{{endpointId}}</a></td><td><span class="badge {{statusClass}}">{{status}}</span></td><td>{{attempts}}</td><td>{{createdAt}}</td></tr>
{{/notifications}}
</tbody></table></div>
{{/hasNotifications}}
{{^hasNotifications}}<p>No notification for this fulfillment.</p>{{/hasNotifications}}
{{> footer}}
"""#

    static let queue = #"""
{{> header}}
<nav aria-label="Queue status"><ul class="tabs">{{#tabs}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/tabs}}</ul></nav>
{{#hasRows}}
<form method="post" action="/console/queue/replay">
<input type="hidden" name="csrf_token" value="{{csrfToken}}">
<input type="hidden" name="return_status" value="{{status}}">
<div class="table-wrap"><table>
<thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">Entry</th>{{#showTenant}}<th scope="col">Tenant</th>{{/showTenant}}<th scope="col">Carrier</th><th scope="col">Reason</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Next attempt</th><th scope="col">Replay</th></tr></thead>
<tbody>
{{#rows}}<tr><td><input type="checkbox" name="entry" value="{{selectValue}}" id="select-{{id}}" aria-label="Select {{id}}"></td><td><a href="{{href}}" class="mono">{{id}}</a></td>{{#showTenant}}<td>{{tenant}}</td>{{/showTenant}}<td>{{carrier}}</td><td>{{reason}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td><td>{{attempts}}</td><td>{{lastError}}</td><td>{{nextAttemptAt}}</td><td><button type="submit" name="only" value="{{selectValue}}" class="secondary">Replay</button></td></tr>
{{/rows}}
</tbody></table></div>
<div class="actions"><button type="submit">Replay selected</button></div>
</form>
{{/hasRows}}
{{^hasRows}}<p>No {{status}} entry.</p>{{/hasRows}}
{{> footer}}
"""#

    static let retry = #"""
{{> header}}
<dl class="figures card">
<div><dt>Status</dt><dd><span class="badge {{statusClass}}">{{status}}</span></dd></div>
<div><dt>Tenant</dt><dd>{{tenant}}</dd></div>
<div><dt>Carrier</dt><dd>{{carrier}}</dd></div>
<div><dt>Reason</dt><dd>{{reason}}</dd></div>
<div><dt>Attempts</dt><dd>{{attempts}}</dd></div>
<div><dt>Next attempt</dt><dd>{{nextAttemptAt}}</dd></div>
<div><dt>Received</dt><dd>{{createdAt}}</dd></div>
<div><dt>Updated</dt><dd>{{updatedAt}}</dd></div>
</dl>
{{#lastError}}<p><strong>Last error:</strong> {{.}}</p>{{/lastError}}
{{#replayable}}
<form method="post" action="/console/queue/replay" class="actions">
<input type="hidden" name="csrf_token" value="{{csrfToken}}">
<input type="hidden" name="return_to" value="entry">
<button type="submit" name="only" value="{{selectValue}}">Replay this callback</button>
</form>
{{/replayable}}
<h2>Attempt history</h2>
{{#hasAttemptLog}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Attempt</th><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">Error</th></tr></thead>
<tbody>{{#attemptLog}}<tr><td>{{attempt}}</td><td>{{at}}</td><td>{{outcome}}</td><td>{{error}}</td></tr>{{/attemptLog}}</tbody>
</table></div>
{{/hasAttemptLog}}
{{^hasAttemptLog}}<p class="muted">{{attemptLogNote}}</p>{{/hasAttemptLog}}
<p><a href="{{backHref}}">Back to the queue</a></p>
{{> footer}}
"""#

    static let endpoints = #"""
{{> header}}
{{#hasRows}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Endpoint</th>{{#showTenant}}<th scope="col">Tenant</th>{{/showTenant}}<th scope="col">URL</th><th scope="col">Circuit</th><th scope="col">Success (24 h)</th><th scope="col">Latency p50 / p90</th><th scope="col">Attempts (24 h)</th><th scope="col">Waiting</th></tr></thead>
<tbody>
{{#rows}}<tr><td><a href="{{href}}" class="mono">{{id}}</a></td>{{#showTenant}}<td>{{tenant}}</td>{{/showTenant}}<td class="mono">{{url}}</td><td><span class="badge {{stateClass}}">{{state}}</span></td><td>{{successRate}}</td><td>{{latency}}</td><td>{{attempts}}</td><td>{{waiting}}</td></tr>
{{/rows}}
</tbody></table></div>
{{/hasRows}}
{{^hasRows}}<p>No webhook endpoint.</p>{{/hasRows}}
{{> footer}}
"""#

    static let endpoint = #"""
{{> header}}
<dl class="figures card">
<div><dt>Circuit</dt><dd><span class="badge {{stateClass}}">{{state}}</span></dd></div>
<div><dt>Tenant</dt><dd>{{tenant}}</dd></div>
<div><dt>URL</dt><dd class="mono">{{url}}</dd></div>
<div><dt>Event types</dt><dd>{{eventTypes}}</dd></div>
<div><dt>Consecutive failures</dt><dd>{{failures}}</dd></div>
<div><dt>Success, last hour</dt><dd>{{hourSuccess}}</dd></div>
<div><dt>Success, 24 h</dt><dd>{{daySuccess}}</dd></div>
<div><dt>Latency p50 / p90 / p99 (24 h)</dt><dd>{{latency}}</dd></div>
</dl>
<div class="actions">
{{#enabled}}<form method="post" action="/console/endpoints/{{id}}/disable" class="inline"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="tenant" value="{{tenant}}"><button type="submit" class="danger">Disable</button></form>{{/enabled}}
{{^enabled}}<form method="post" action="/console/endpoints/{{id}}/enable" class="inline"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="tenant" value="{{tenant}}"><button type="submit">Enable</button></form>{{/enabled}}
<form method="post" action="/console/endpoints/{{id}}/test" class="inline"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="tenant" value="{{tenant}}"><button type="submit" class="secondary">Send a test event</button></form>
<form method="post" action="/console/endpoints/{{id}}/recover" class="inline"><input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="tenant" value="{{tenant}}">
<label for="recover-window" class="visually-hidden">Recover exhausted deliveries created within</label>
<select id="recover-window" name="window"><option value="24h">last 24 hours</option><option value="7d">last 7 days</option><option value="all">any time</option></select>
<button type="submit" class="secondary">Recover exhausted deliveries</button></form>
</div>
<h2>Deliveries</h2>
{{#hasDeliveries}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">Fulfillment</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th></tr></thead>
<tbody>
{{#deliveries}}<tr><td><a href="{{href}}" class="mono">{{id}}</a></td><td>{{eventType}}</td><td class="mono">{{fulfillmentId}}</td><td><span class="badge {{statusClass}}">{{status}}</span></td><td>{{attempts}}</td><td>{{lastAnswer}}</td><td>{{createdAt}}</td></tr>
{{/deliveries}}
</tbody></table></div>
{{/hasDeliveries}}
{{^hasDeliveries}}<p>No delivery yet.</p>{{/hasDeliveries}}
{{> footer}}
"""#

    static let delivery = #"""
{{> header}}
<dl class="figures card">
<div><dt>Status</dt><dd><span class="badge {{statusClass}}">{{status}}</span></dd></div>
<div><dt>Tenant</dt><dd>{{tenant}}</dd></div>
<div><dt>Event</dt><dd>{{eventType}} <span class="mono">{{eventId}}</span></dd></div>
<div><dt>Endpoint</dt><dd><a href="{{endpointHref}}" class="mono">{{endpointId}}</a></dd></div>
<div><dt>Fulfillment</dt><dd class="mono">{{fulfillmentId}}</dd></div>
<div><dt>Next attempt</dt><dd>{{nextAttemptAt}}</dd></div>
</dl>
{{#retryable}}
<form method="post" action="/console/deliveries/{{id}}/retry" class="actions">
<input type="hidden" name="csrf_token" value="{{csrfToken}}"><input type="hidden" name="tenant" value="{{tenant}}">
<button type="submit">Retry now</button>
</form>
{{/retryable}}
<h2>Attempts</h2>
{{#hasAttempts}}
<div class="table-wrap"><table id="attempts">
<thead><tr><th scope="col">#</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Response excerpt</th><th scope="col">Error</th></tr></thead>
<tbody>
{{#attempts}}<tr><td>{{attempt}}</td><td>{{trigger}}</td><td>{{startedAt}}</td><td><span class="badge {{statusClass}}">{{statusCode}}</span></td><td>{{duration}}</td><td><pre class="excerpt">{{excerpt}}</pre></td><td>{{error}}</td></tr>
{{/attempts}}
</tbody></table></div>
{{/hasAttempts}}
{{^hasAttempts}}<p>No attempt yet.</p>{{/hasAttempts}}
{{> footer}}
"""#

    static let tenants = #"""
{{> header}}
<p class="muted">Secrets and keys are shown by id only; their values are never displayed.</p>
{{#tenants}}
<section class="card">
<h2>{{slug}}</h2>
<dl class="figures">
<div><dt>Rate limit</dt><dd>{{rateLimit}}</dd></div>
<div><dt>Retry policy</dt><dd>{{retryPolicy}}</dd></div>
</dl>
<h3>Carrier sources</h3>
{{#hasSources}}
<div class="table-wrap"><table>
<thead><tr><th scope="col">Carrier</th><th scope="col">Scheme</th><th scope="col">Header</th><th scope="col">Tolerance</th><th scope="col">Secret ids</th></tr></thead>
<tbody>{{#sources}}<tr><td>{{carrier}}</td><td>{{scheme}}</td><td class="mono">{{header}}</td><td>{{tolerance}}</td><td class="mono">{{secretIds}}</td></tr>{{/sources}}</tbody>
</table></div>
{{/hasSources}}
{{^hasSources}}<p>No source.</p>{{/hasSources}}
<h3>API keys</h3>
{{#hasKeys}}
<ul>{{#keys}}<li><span class="mono">{{id}}</span> {{label}} <span class="muted">created {{createdAt}}</span></li>{{/keys}}</ul>
{{/hasKeys}}
{{^hasKeys}}<p>No active key.</p>{{/hasKeys}}
</section>
{{/tenants}}
{{> footer}}
"""#
}
