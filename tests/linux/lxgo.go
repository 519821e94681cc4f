// lxgo: a Go program (its runtime: threads, futexes, signals, timers, the
// garbage collector) that tests/cli/cli_linux.sh runs natively and under
// kvmlet, comparing the output byte for byte. Only computed results are
// printed, never anything that depends on timing or interleaving.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func workers() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			s := 0
			for j := 0; j < 100000; j++ {
				s += j % (n + 1)
				if j%10000 == 0 {
					runtime.Gosched()
				}
			}
			mu.Lock()
			total += s
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	fmt.Println("workers: total", total)
}

func pipeline() {
	src := make(chan int)
	sq := make(chan int, 4)
	go func() {
		for i := 1; i <= 1000; i++ {
			src <- i
		}
		close(src)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range src {
				sq <- v * v
			}
		}()
	}
	go func() { wg.Wait(); close(sq) }()
	sum := 0
	for v := range sq {
		sum += v
	}
	fmt.Println("pipeline: sum of squares", sum)
}

func timers() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(start) >= 20*time.Millisecond
	never := make(chan int)
	timedOut := false
	select {
	case <-never:
	case <-time.After(30 * time.Millisecond):
		timedOut = true
	}
	ticks := 0
	t := time.NewTicker(5 * time.Millisecond)
	for range t.C {
		if ticks++; ticks == 4 {
			break
		}
	}
	t.Stop()
	fmt.Println("timers: slept long enough", slept, "select timed out", timedOut, "ticks", ticks)
}

type node struct {
	next *node
	data [64]byte
}

func garbage() {
	var keep []*node
	for i := 0; i < 200000; i++ {
		n := &node{}
		n.data[0] = byte(i)
		if i%1000 == 0 {
			keep = append(keep, n)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sum := 0
	for _, n := range keep {
		sum += int(n.data[0])
	}
	fmt.Println("gc: kept", len(keep), "sum", sum, "collected", ms.NumGC > 0)
}

var errOdd = errors.New("odd")

func recovered() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("recovered: ", r)
		}
	}()
	var m map[string]int
	m["x"] = 1 // a nil map: panics
	return "no panic"
}

func misc() {
	words := strings.Fields("the quick brown fox jumps over the lazy dog")
	sort.Strings(words)
	counts := map[string]int{}
	for _, w := range words {
		counts[w]++
	}
	var n int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); atomic.AddInt64(&n, 2) }()
	}
	wg.Wait()
	fmt.Println("misc:", strings.Join(words, ","), "the:", counts["the"], "atomic:", n,
		errors.Is(fmt.Errorf("wrapped: %w", errOdd), errOdd))
	fmt.Println(recovered())
}

// spawn runs this program again ("exit3") through os/exec (the runtime's
// clone with CLONE_VFORK and CLONE_VM, then execve) with its output piped
// back, and reports how it ended.
func spawn(self string) {
	out, err := exec.Command(self, "child").Output()
	fmt.Printf("spawned: %q, %v\n", out, err)
	err = exec.Command(self, "exit3").Run()
	var ee *exec.ExitError
	fmt.Println("spawned exit3:", errors.As(err, &ee) && ee.ExitCode() == 3)
	_, err = exec.Command("/nonexistent").Output()
	fmt.Println("spawned nothing:", errors.Is(err, os.ErrNotExist))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		fmt.Println("child of", len(os.Args), "arguments")
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "spawn" {
		spawn(os.Args[2])
		return
	}
	workers()
	pipeline()
	timers()
	garbage()
	misc()
	if len(os.Args) > 1 && os.Args[1] == "exit3" {
		os.Exit(3)
	}
	fmt.Println("done")
}
