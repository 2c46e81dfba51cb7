// The stroke canvas (gr.HTML js_on_load: element, trigger, props). It draws the pen's points at once and
// sends them, with the canvas size and brush, as props.value: every SEND_MS while a stroke goes on and at
// its end. Each state of the drawing gets a number (seq); app.py's reply gate shows a reply only when it
// is newer than the reading shown and no clear or undo came after its state.
const SEND_MS = 100;
const MIN_STEP = 1.5;  // px between points kept: a slow pen sends no crowd of points on one spot
const canvas = element.querySelector("canvas");
const context = canvas.getContext("2d");
const brushShare = Number(props.brush_share);
let strokes = [];  // each a list of [x, y] in canvas px (CSS px), y down
let drawing = null;  // the stroke under the pen, or null
let pointer = null;  // the id of the pointer drawing it
let size = { width: 0, height: 0 };
let picture = null;  // an example's image the canvas shows, until the pen starts a drawing of its own
let seq = 0, floor = 0, shown = 0;  // the last state sent; the first a reply may show; the state shown
let timer = null;

const brush = () => Math.max(2, Math.round(size.height * brushShare));

function paint(points) {
  context.beginPath();
  if (points.length === 1) {
    context.arc(points[0][0], points[0][1], brush() / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.moveTo(points[0][0], points[0][1]);
  for (const [x, y] of points.slice(1)) context.lineTo(x, y);
  context.stroke();
}

function repaint() {
  const ratio = window.devicePixelRatio || 1;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, size.width, size.height);
  if (picture) {  // fitted in the canvas, centred, as the examples' thumbnails show it
    const scale = Math.min(size.width / picture.naturalWidth, size.height / picture.naturalHeight);
    const w = picture.naturalWidth * scale, h = picture.naturalHeight * scale;
    context.drawImage(picture, (size.width - w) / 2, (size.height - h) / 2, w, h);
  }
  Object.assign(context, { lineWidth: brush(), lineCap: "round", lineJoin: "round",
                           strokeStyle: "#111", fillStyle: "#111" });
  strokes.forEach(paint);
  element.querySelector(".pad-hint").hidden = strokes.length > 0 || picture !== null;
}

function resize() {
  const box = canvas.getBoundingClientRect();
  const width = Math.round(box.width), height = Math.round(box.height);
  if (!width || !height || (width === size.width && height === size.height)) return;
  if (size.width && size.height) {  // the page reflowed (a phone turned): the drawing keeps its place
    const sx = width / size.width, sy = height / size.height;
    strokes = strokes.map((s) => s.map(([x, y]) => [x * sx, y * sy]));
  }
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  size = { width, height };
  repaint();
}

function send() {
  clearTimeout(timer);
  timer = null;
  seq += 1;
  const round = (v) => Math.round(v * 10) / 10;
  props.value = { seq, width: size.width, height: size.height, brush: brush(),
                  strokes: strokes.map((s) => s.map(([x, y]) => [round(x), round(y)])) };
}

function restart() {  // clear or undo: replies for the states before this one are for a drawing gone
  drawing = null;
  repaint();
  send();
  floor = seq;
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top];
}

canvas.addEventListener("pointerdown", (event) => {
  if (drawing || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  pointer = event.pointerId;
  drawing = [point(event)];
  strokes.push(drawing);
  if (picture) {
    picture = null;
    repaint();
  }
  element.querySelector(".pad-hint").hidden = true;
  paint(drawing);
  timer = timer || setTimeout(send, SEND_MS);
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing || event.pointerId !== pointer) return;
  event.preventDefault();
  const before = drawing.length;
  const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of coalesced.length ? coalesced : [event]) {
    const [x, y] = point(e), [lastX, lastY] = drawing[drawing.length - 1];
    if (Math.hypot(x - lastX, y - lastY) >= MIN_STEP) drawing.push([x, y]);
  }
  if (drawing.length === before) return;
  paint(drawing.slice(before - 1));
  timer = timer || setTimeout(send, SEND_MS);
});
const lift = (event) => {
  if (!drawing || event.pointerId !== pointer) return;
  drawing = null;
  send();
};
canvas.addEventListener("pointerup", lift);
canvas.addEventListener("pointercancel", lift);
// Touch: no scrolling, zooming or long-press menu while the finger draws.
canvas.addEventListener("touchstart", (event) => event.preventDefault(), { passive: false });
canvas.addEventListener("contextmenu", (event) => event.preventDefault());

element.querySelector(".pad-undo").addEventListener("click", () => { strokes.pop(); picture = null; restart(); });
element.querySelector(".pad-clear").addEventListener("click", () => { strokes = []; picture = null; restart(); });

// The reply gate app.py chains after each reading: [label, preview] to show, or undefined to drop a stale one.
window.digitPad = {
  accept(reply) {
    if (!reply || reply.seq < floor || reply.seq <= shown) return undefined;
    shown = reply.seq;
    const preview = reply.preview && { url: reply.preview, path: "preview.png", orig_name: "preview.png",
                                       mime_type: "image/png", is_stream: false, meta: { _type: "gradio.FileData" } };
    return [reply.label, preview || null];
  },
  showExample(index) {  // an example replaces the drawing: its reading comes back as this state's
    strokes = [];
    drawing = null;
    const thumbnail = document.querySelectorAll("#examples img")[index];
    picture = null;
    if (thumbnail) {
      picture = new Image();
      picture.onload = repaint;
      picture.src = thumbnail.src;
    }
    repaint();
    clearTimeout(timer);
    timer = null;
    seq += 1;
    floor = seq;
    props.value = { seq, example: index };
  },
};
new ResizeObserver(resize).observe(canvas);
resize();
canvas.dataset.ready = "true";
