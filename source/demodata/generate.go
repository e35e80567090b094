//go:build ignore

// generate writes the demo's data: the incident of internal/sim, in the v5 format with a
// header line, gzipped, and the simulated VPC's rules as AWS CLI JSON. Run it with
// `go generate ./source/` after changing the simulator; a test checks the embedded copy
// still matches what the simulator makes.
package main

import (
	"bytes"
	"compress/gzip"
	"log"
	"os"
	"path/filepath"

	"github.com/flowlens/flowlens/internal/sim"
)

func main() {
	s := sim.Incident(1)
	s.KeepTruth = false
	var text bytes.Buffer
	if err := s.WriteText(&text, sim.V5Format, 0, true); err != nil {
		log.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(text.Bytes())
	w.Close()
	if err := os.WriteFile("demodata/incident.log.gz", gz.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll("demodata/rules", 0o755); err != nil {
		log.Fatal(err)
	}
	for _, f := range s.Topology.RulesFiles() {
		if err := os.WriteFile(filepath.Join("demodata", "rules", f.Name), f.Data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
