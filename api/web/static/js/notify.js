// Cues for the operator: a WebAudio beep (generated, no audio file) and toasts on the map.
import { state } from "./store.js";

let audio = null;

/** Create/resume the audio context; call from a user gesture (the login click) to unlock it. */
export function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!audio) audio = new Ctx();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

/** Two short tones; higher and longer for a breach. */
export function beep(kind = "new") {
  state.beeps += 1;
  if (!audio) return;
  const tones = kind === "breach" ? [[988, 0.18], [988, 0.18], [988, 0.18]] : [[880, 0.12], [1320, 0.16]];
  let at = audio.currentTime + 0.01;
  for (const [hz, seconds] of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + seconds + 0.02);
    at += seconds + 0.06;
  }
}

/** Show a toast for ``ms``; clicking it runs ``onClick``. */
export function toast(text, { kind = "info", ms = 6000, onClick = null } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = document.createElement("div");
  el.className = `toast toast-${kind}`;
  el.textContent = text;
  el.setAttribute("role", "status");
  if (onClick) {
    el.classList.add("clickable");
    el.addEventListener("click", () => {
      onClick();
      el.remove();
    });
  }
  box.prepend(el);
  setTimeout(() => el.remove(), ms);
}
