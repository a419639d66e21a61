/**
 * The console's one stylesheet, inline (no extra request). Narrow screens first: tables scroll
 * inside their own box, never the page; status badges carry an icon and a word, so colour
 * only repeats what the text says.
 */
export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}
header{background:#1b1f24;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none;padding:.25rem 0}
header a[aria-current]{text-decoration:underline;text-underline-offset:4px}
header .brand{font-weight:700;margin-right:auto}
header form{margin:0}
header button{background:none;border:1px solid #888;color:#fff;padding:.15rem .6rem}
main{padding:1rem;max-width:1200px;margin:0 auto}
h1{font-size:1.35rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.scroll{overflow-x:auto;max-width:100%;background:#fff;border:1px solid #d8dde3;border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e6e9ee;vertical-align:top}
th{font-weight:600;background:#eef1f4;white-space:nowrap}
td.ref,.ref{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.3rem 1rem;background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.75rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
form.filters,form.stack{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:flex-end;margin-bottom:1rem}
form.stack{flex-direction:column;align-items:stretch;max-width:40rem}
label{display:flex;flex-direction:column;font-size:.85rem;gap:.15rem;min-width:0}
label.check{flex-direction:row;align-items:center;gap:.4rem;font-size:.95rem}
input,select,textarea,button{font:inherit;max-width:100%}
input,select,textarea{padding:.35rem .45rem;border:1px solid #9aa4af;border-radius:4px;background:#fff}
button,.button{padding:.35rem .8rem;border:1px solid #0b57d0;border-radius:4px;background:#0b57d0;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.quiet{background:#fff;color:#0b57d0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions form{margin:0}
fieldset{border:1px solid #d8dde3;border-radius:6px;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.5rem;min-width:0}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;border:1px solid;font-size:.8rem;font-weight:600;white-space:nowrap}
.s-SUCCEEDED,.s-ok,.s-matched{color:#14632b;background:#e3f4e7}
.s-FAILED,.s-bad{color:#a11a1a;background:#fbe5e5}
.s-RUNNING{color:#0b4aa2;background:#e3ecfb}
.s-PENDING,.s-QUEUED,.s-SKIPPED,.s-off,.s-unmatched{color:#5b4300;background:#fbf1d5}
.notice{padding:.6rem .8rem;border-radius:6px;border:1px solid;margin:0 0 1rem}
.notice ul{margin:.3rem 0 0;padding-left:1.2rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.75rem;margin-bottom:1rem}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.75rem}
.card b{display:block;font-size:1.4rem}
progress{width:10rem;max-width:100%;vertical-align:middle}
.muted{color:#5d6670}
.chart{display:block;width:100%;max-width:36rem;height:auto;background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:.5rem 0}
.tags{display:flex;flex-wrap:wrap;gap:.3rem;list-style:none;padding:0;margin:.3rem 0}
@media (max-width:640px){main{padding:.6rem}th,td{padding:.35rem .4rem}.hide-narrow{display:none}}
`;
