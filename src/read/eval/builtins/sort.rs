//! The stable sort of `builtins.sort`, step for step as Nix 2.8 runs it: Nix calls C++'s
//! `std::stable_sort`, and libstdc++'s algorithm is reproduced here (insertion sort of chunks of
//! 7, merges through a buffer of half the list, a final forward or backward merge). The same
//! comparator calls are made in the same order, so even a comparator that is not a strict
//! order (`a: b: a <= b`, `a: b: true`) gives Nix's permutation, and an error or an unknown
//! answer stops the sort where it would stop Nix's. Every loop is bounded by the list, so any
//! comparator ends.

use crate::diagnostics::Diagnostic;
use crate::read::eval::Val;

/// Why a sort stopped: the comparator failed, or its answer is not known (opaque).
pub(crate) enum Stop {
    Error(Diagnostic),
    Unknown(Val),
}

/// `less(a, b)`: whether the element at index `a` goes before the one at `b`.
pub(crate) type Less<'a> = dyn FnMut(usize, usize) -> Result<bool, Stop> + 'a;

/// Sorts `v` (indices of the elements) as `std::stable_sort(v, less)` does.
pub(crate) fn stable_sort(v: &mut [usize], less: &mut Less) -> Result<(), Stop> {
    let n = v.len();
    if n == 0 {
        return Ok(());
    }
    let middle = n.div_ceil(2);
    let mut buffer = vec![0; middle];
    merge_sort_with_buffer(&mut v[..middle], &mut buffer, less)?;
    merge_sort_with_buffer(&mut v[middle..], &mut buffer, less)?;
    merge_adaptive(v, middle, &mut buffer, less)
}

const CHUNK: usize = 7;

fn merge_sort_with_buffer(
    s: &mut [usize],
    buffer: &mut [usize],
    less: &mut Less,
) -> Result<(), Stop> {
    let len = s.len();
    let buffer = &mut buffer[..len];
    let mut step = CHUNK;
    chunk_insertion_sort(s, step, less)?;
    while step < len {
        merge_sort_loop(s, buffer, step, less)?;
        step *= 2;
        merge_sort_loop(buffer, s, step, less)?;
        step *= 2;
    }
    Ok(())
}

fn chunk_insertion_sort(s: &mut [usize], chunk: usize, less: &mut Less) -> Result<(), Stop> {
    let mut first = 0;
    while s.len() - first >= chunk {
        insertion_sort(&mut s[first..first + chunk], less)?;
        first += chunk;
    }
    insertion_sort(&mut s[first..], less)
}

fn insertion_sort(s: &mut [usize], less: &mut Less) -> Result<(), Stop> {
    for i in 1..s.len() {
        let v = s[i];
        if less(v, s[0])? {
            s.copy_within(0..i, 1);
            s[0] = v;
        } else {
            // libstdc++'s unguarded insertion; the guard only matters for a comparator that
            // answers the same question differently, which a Nix function cannot.
            let mut last = i;
            let mut next = i - 1;
            while less(v, s[next])? {
                s[last] = s[next];
                last = next;
                if next == 0 {
                    break;
                }
                next -= 1;
            }
            s[last] = v;
        }
    }
    Ok(())
}

fn merge_sort_loop(
    src: &[usize],
    dst: &mut [usize],
    step: usize,
    less: &mut Less,
) -> Result<(), Stop> {
    let two = 2 * step;
    let mut first = 0;
    while src.len() - first >= two {
        move_merge(
            &src[first..first + step],
            &src[first + step..first + two],
            &mut dst[first..first + two],
            less,
        )?;
        first += two;
    }
    let step = step.min(src.len() - first);
    move_merge(
        &src[first..first + step],
        &src[first + step..],
        &mut dst[first..],
        less,
    )
}

/// Merges `a` and `b` into `out`; an element of `b` goes first only when it is less.
fn move_merge(a: &[usize], b: &[usize], out: &mut [usize], less: &mut Less) -> Result<(), Stop> {
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if less(b[j], a[i])? {
            out[k] = b[j];
            j += 1;
        } else {
            out[k] = a[i];
            i += 1;
        }
        k += 1;
    }
    for &x in a[i..].iter().chain(&b[j..]) {
        out[k] = x;
        k += 1;
    }
    Ok(())
}

/// Merges the sorted halves `v[..middle]` and `v[middle..]`: forward with the first half in
/// the buffer when it is not longer, else backward with the second half in the buffer.
fn merge_adaptive(
    v: &mut [usize],
    middle: usize,
    buffer: &mut [usize],
    less: &mut Less,
) -> Result<(), Stop> {
    let n = v.len();
    let (len1, len2) = (middle, n - middle);
    if len1 <= len2 {
        buffer[..len1].copy_from_slice(&v[..len1]);
        let (mut i, mut j, mut k) = (0, middle, 0);
        while i < len1 && j < n {
            if less(v[j], buffer[i])? {
                v[k] = v[j];
                j += 1;
            } else {
                v[k] = buffer[i];
                i += 1;
            }
            k += 1;
        }
        while i < len1 {
            v[k] = buffer[i];
            i += 1;
            k += 1;
        }
        return Ok(());
    }
    buffer[..len2].copy_from_slice(&v[middle..]);
    if len2 == 0 {
        return Ok(());
    }
    let (mut l1, mut l2, mut r) = (middle - 1, len2 - 1, n);
    loop {
        if less(buffer[l2], v[l1])? {
            r -= 1;
            v[r] = v[l1];
            if l1 == 0 {
                v[r - (l2 + 1)..r].copy_from_slice(&buffer[..=l2]);
                return Ok(());
            }
            l1 -= 1;
        } else {
            r -= 1;
            v[r] = buffer[l2];
            if l2 == 0 {
                return Ok(());
            }
            l2 -= 1;
        }
    }
}
