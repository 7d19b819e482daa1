//! A squarified treemap (Bruls, Huizing, van Wijk): rectangles whose areas follow the weights
//! and whose sides stay close to square, so small symbols stay readable.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Lays `weights` (largest first gives the best shapes) into `area`; one rectangle per weight,
/// in the same order. Zero weights get empty rectangles.
pub fn squarify(weights: &[f64], area: Rect) -> Vec<Rect> {
    let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    let mut out = vec![
        Rect {
            x: area.x,
            y: area.y,
            w: 0.0,
            h: 0.0
        };
        weights.len()
    ];
    if total <= 0.0 || area.w <= 0.0 || area.h <= 0.0 {
        return out;
    }
    let scale = area.w * area.h / total;
    let items: Vec<(usize, f64)> = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0.0)
        .map(|(i, w)| (i, w * scale))
        .collect();
    let mut free = area;
    let mut row: Vec<(usize, f64)> = Vec::new();
    let mut k = 0;
    while k < items.len() {
        let side = free.w.min(free.h);
        let mut with = row.clone();
        with.push(items[k]);
        if row.is_empty() || worst(&with, side) <= worst(&row, side) {
            row = with;
            k += 1;
        } else {
            free = lay_row(&row, free, &mut out);
            row.clear();
        }
    }
    if !row.is_empty() {
        lay_row(&row, free, &mut out);
    }
    out
}

fn worst(row: &[(usize, f64)], side: f64) -> f64 {
    let sum: f64 = row.iter().map(|r| r.1).sum();
    let max = row.iter().map(|r| r.1).fold(0.0, f64::max);
    let min = row.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let s2 = side * side;
    (s2 * max / (sum * sum)).max(sum * sum / (s2 * min))
}

/// Places a row along the shorter side of `free`; returns what is left.
fn lay_row(row: &[(usize, f64)], free: Rect, out: &mut [Rect]) -> Rect {
    let sum: f64 = row.iter().map(|r| r.1).sum();
    if free.w >= free.h {
        // A column at the left.
        let w = sum / free.h;
        let mut y = free.y;
        for &(i, a) in row {
            let h = a / w;
            out[i] = Rect { x: free.x, y, w, h };
            y += h;
        }
        Rect {
            x: free.x + w,
            y: free.y,
            w: free.w - w,
            h: free.h,
        }
    } else {
        let h = sum / free.w;
        let mut x = free.x;
        for &(i, a) in row {
            let w = a / h;
            out[i] = Rect { x, y: free.y, w, h };
            x += w;
        }
        Rect {
            x: free.x,
            y: free.y + h,
            w: free.w,
            h: free.h - h,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_follow_weights_and_fill_the_area() {
        let area = Rect {
            x: 0.0,
            y: 0.0,
            w: 600.0,
            h: 400.0,
        };
        let weights = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0, 0.0];
        let rects = squarify(&weights, area);
        let total: f64 = weights.iter().sum();
        for (r, w) in rects.iter().zip(weights) {
            assert!(
                (r.w * r.h - w / total * 240_000.0).abs() < 1e-6,
                "{r:?} {w}"
            );
            assert!(
                r.x >= -1e-9
                    && r.y >= -1e-9
                    && r.x + r.w <= 600.0 + 1e-6
                    && r.y + r.h <= 400.0 + 1e-6
            );
        }
        // No two non-empty rectangles overlap.
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                let ox = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
                let oy = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
                assert!(ox <= 1e-6 || oy <= 1e-6, "{a:?} {b:?}");
            }
        }
    }
}
