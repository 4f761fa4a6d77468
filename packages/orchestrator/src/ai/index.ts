export { type ArmyToolOptions, type ArmyToolResult, armyTool } from './army-tool.js';
