package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/fealac/smegraph/internal/readmodel"
)

// Metrics are the Prometheus metrics of one process, served at /metrics.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	commands   *prometheus.CounterVec
	cmdLatency *prometheus.HistogramVec
	reloads    *prometheus.HistogramVec
	model      sync.Once
	rejections *prometheus.CounterVec
	operations *labelLimiter
	starts     sync.Map // driver request ID → command start time
}

// NewMetrics registers smegraph's metrics, the Go runtime's and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smegraph_requests_total",
			Help: "HTTP requests to /graphql by GraphQL operation name and outcome."}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "smegraph_request_duration_seconds",
			Help: "Time to answer a /graphql request, by operation name.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"operation"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smegraph_mongodb_commands_total",
			Help: "MongoDB commands sent, by command and outcome."}, []string{"command", "outcome"}),
		cmdLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "smegraph_mongodb_command_duration_seconds",
			Help: "Time of MongoDB commands, by command.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15)}, []string{"command"}),
		reloads: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "smegraph_snapshot_reload_duration_seconds",
			Help:    "Time to read whole reference collections into the snapshot, by kind (load: everything; reload: the collections a bulk write changed).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"kind"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smegraph_limit_rejections_total",
			Help: "Requests refused by a limit before any database work, by error code."}, []string{"code"}),
		operations: &labelLimiter{max: 100, seen: map[string]bool{}},
	}
	m.registry.MustRegister(m.requests, m.latency, m.commands, m.cmdLatency, m.reloads, m.rejections,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// CommandMonitor returns the driver monitor that counts and times MongoDB commands; give it
// to the process's client.
func (m *Metrics) CommandMonitor() *event.CommandMonitor {
	done := func(id int64, name, outcome string) {
		m.commands.WithLabelValues(name, outcome).Inc()
		if t, ok := m.starts.LoadAndDelete(id); ok {
			m.cmdLatency.WithLabelValues(name).Observe(time.Since(t.(time.Time)).Seconds())
		}
	}
	return &event.CommandMonitor{
		Started:   func(_ context.Context, e *event.CommandStartedEvent) { m.starts.Store(e.RequestID, time.Now()) },
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) { done(e.RequestID, e.CommandName, "ok") },
		Failed:    func(_ context.Context, e *event.CommandFailedEvent) { done(e.RequestID, e.CommandName, "error") },
	}
}

// followModel registers the snapshot metrics of the read model rm (once per Metrics).
func (m *Metrics) followModel(rm *readmodel.Model) {
	m.model.Do(func() {
		rm.ObserveReloads(func(kind string, d time.Duration) { m.reloads.WithLabelValues(kind).Observe(d.Seconds()) })
		m.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "smegraph_snapshot_generation",
				Help: "Change-feed generation of the in-memory snapshot of the reference graph (0 before the first write)."},
				func() float64 { return float64(rm.Status().Generation) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "smegraph_snapshot_age_seconds",
				Help: "Seconds since the snapshot was last known to be in step with the database (-1 before the first load)."},
				func() float64 {
					if st := rm.Status(); st.Loaded {
						return st.Age.Seconds()
					}
					return -1
				}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "smegraph_snapshot_reloads_total",
				Help: "Reads of whole reference collections into the snapshot, the first load included."},
				func() float64 { return float64(rm.Status().Reloads) }),
		)
	})
}

// observeRequest records one /graphql request.
func (m *Metrics) observeRequest(operation, outcome string, d time.Duration, rejection string) {
	if m == nil {
		return
	}
	op := m.operations.label(operation)
	m.requests.WithLabelValues(op, outcome).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
	if rejection != "" {
		m.rejections.WithLabelValues(rejection).Inc()
	}
}

// labelLimiter bounds a label's values: clients name their operations, so the first max
// names are kept and the rest count as "other".
type labelLimiter struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (l *labelLimiter) label(v string) string {
	if v == "" {
		return "anonymous"
	}
	if len(v) > 64 || strings.ContainsAny(v, " \n\t") {
		return "other"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[v] {
		return v
	}
	if len(l.seen) >= l.max {
		return "other"
	}
	l.seen[v] = true
	return v
}
