//! Two-thread fork–join for the few places where a run's work splits into independent halves
//! (emitting stubs, reading the output directory back, creating files). The machine this tool
//! is made for has two cores; below [`PARALLEL_FROM`] items a second thread costs more than it
//! saves. A panic on the helper thread is re-raised on the caller's, as if there were one.

/// Below this many items, work stays on one thread.
pub const PARALLEL_FROM: usize = 256;

/// Runs `first` here and `second` on a helper thread, and returns both results.
pub fn join<A, B>(first: impl FnOnce() -> A, second: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    std::thread::scope(|scope| {
        let helper = scope.spawn(second);
        let mine = first();
        match helper.join() {
            Ok(theirs) => (mine, theirs),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// `f` over `items`, on two threads (one half each) when there are enough of them; the results
/// in the order of `items`.
pub fn map_halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    if items.len() < PARALLEL_FROM {
        return f(items);
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (mut mine, theirs) = join(|| f(first), || f(second));
    mine.extend(theirs);
    mine
}
