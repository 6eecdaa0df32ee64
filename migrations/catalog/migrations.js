import journal from './meta/_journal.json';
import m0000 from './0000_catalog.sql';
import m0001 from './0001_model_checkpoints.sql';
import m0002 from './0002_sweeps.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002
    }
  }
  