// lxrust: a Rust program (std, glibc static) that tests/cli/cli_linux.sh runs
// natively and under kvmlet, comparing the output byte for byte: threads and
// their joins, a mutex, channels, a panic caught, collections, formatting.
// Only computed results are printed, never anything that depends on timing.
use std::collections::{BTreeMap, HashMap};
use std::panic;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

fn threads() {
    let counter = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..8u64)
        .map(|i| {
            let c = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..10000 {
                    *c.lock().unwrap() += i;
                }
                i * i
            })
        })
        .collect();
    let joined: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!("threads: counter {} joined {}", *counter.lock().unwrap(), joined);
}

fn channels() {
    let (tx, rx) = mpsc::channel();
    for p in 0..3u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..100u64 {
                tx.send(p * 1000 + i).unwrap();
            }
        });
    }
    drop(tx);
    let mut got: Vec<u64> = rx.iter().collect();
    got.sort();
    println!("channels: {} messages, sum {}, first {} last {}", got.len(),
             got.iter().sum::<u64>(), got[0], got[got.len() - 1]);
}

fn panics() {
    panic::set_hook(Box::new(|_| {})); // no message on stderr
    let r = panic::catch_unwind(|| {
        let v: Vec<u32> = Vec::new();
        v[3]
    });
    let t = thread::spawn(|| panic!("in a thread")).join();
    println!("panics: caught {}, thread's join is an error {}", r.is_err(), t.is_err());
}

fn collections() {
    let text = "the quick brown fox jumps over the lazy dog the end";
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in text.split_whitespace() {
        *counts.entry(w).or_insert(0) += 1;
    }
    let sorted: BTreeMap<_, _> = counts.into_iter().collect();
    println!("collections: {:?}", sorted);
    println!("format: {:>8.3} {:#x} {:08b} {:e}", 3.14159, 255, 5u8, 1234.5);
}

fn main() {
    threads();
    channels();
    panics();
    collections();
    if std::env::args().nth(1).as_deref() == Some("exit4") {
        std::process::exit(4);
    }
    println!("done");
}
