import { render } from "solid-js/web";
import { App } from "./App";
import { watchWindowReturns } from "./lib/query";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element.");
watchWindowReturns();
render(() => <App />, root);
