// The floor's second page (src-tauri/examples/floor): a React hello-world whose script is as
// large as Baton's first bundle, so that the web process parses and runs as much code as
// Baton's does at start. The bulk comes from `virtual:floor-filler` (vite.floor.config.ts):
// functions that are all run once, as a bundle's modules are.
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { fillers } from "virtual:floor-filler";

function Hello() {
  const [clicks, setClicks] = useState(0);
  return (
    <main>
      <h1 data-testid="floor-hello">Hello from the floor</h1>
      <button onClick={() => setClicks(clicks + 1)}>clicked {clicks} times</button>
    </main>
  );
}

const ran = fillers.reduce((sum, run, i) => sum + run(i), 0);
document.title = `floor: hello (${fillers.length} fillers, ${ran})`;
const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from hello.html");
createRoot(root).render(
  <StrictMode>
    <Hello />
  </StrictMode>,
);
