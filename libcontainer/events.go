package libcontainer

import (
	"github.com/runo-runtime/runo/cgroups"
)

// Event is a line of `runo events`, as runc prints it.
type Event struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Data *cgroups.Stats `json:"data,omitempty"`
}

// Stats reads the container's cgroup statistics.
func (c *Container) Stats() (*Event, error) {
	if err := c.check(OpStats); err != nil {
		return nil, err
	}
	return &Event{Type: "stats", ID: c.ID, Data: c.cgroups().Stats()}, nil
}

// NotifyOOM reports the OOM kills in the container's memory cgroup.
func (c *Container) NotifyOOM() (<-chan struct{}, error) {
	return c.cgroups().NotifyOOM()
}
